/**
 * The one home of capability spellings. A profile may write `net_raw`, `NET_RAW` or
 * `CAP_NET_RAW`: the normalized profile (what lint rules read) holds the engine's inspect form,
 * upper case without CAP_; the emitters send the docker CLI's form (`effectiveCapabilities`).
 */

/** Upper case, without the CAP_ prefix: the form the engine reports and lint rules compare. */
export function capabilityName(name: string): string {
  return name.trim().toUpperCase().replace(/^CAP_/, '');
}

/**
 * Capabilities as the docker CLI sends them (cli/opts EffectiveCapAddCapDrop): upper case with
 * the CAP_ prefix (ALL stays ALL), deduplicated and sorted; ALL in a list replaces the rest of
 * it; a capability both added and dropped is added. The body uses the same lists, so the two
 * emitters create identical containers.
 */
export function effectiveCapabilities(add: readonly string[], drop: readonly string[]): { capAdd: string[]; capDrop: string[] } {
  const canonical = (names: readonly string[]): string[] => {
    const set = new Set(names.map(capabilityName).map((n) => (n === 'ALL' ? n : `CAP_${n}`)));
    return set.has('ALL') ? ['ALL'] : [...set].sort();
  };
  const capAdd = canonical(add);
  const capDrop = canonical(drop).filter((c) => !capAdd.includes(c));
  return { capAdd, capDrop };
}
