/**
 * RFC 6901 JSON pointers. Kept apart from source.ts (which loads the yaml library) so the
 * stages that only need pointers (schema, normalize) can run without the YAML parser: `run`
 * validates and normalizes a cached profile without importing yaml (src/profile/cache.ts).
 */

/** Splits an RFC 6901 JSON pointer into its unescaped segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Builds a JSON pointer from segments. */
export function toPointer(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
