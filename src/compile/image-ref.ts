/**
 * Image references (`[registry/]name[:tag][@digest]`): the one parser, for lint's pinning rules
 * and the engine client's pull. A colon after the last slash is a tag; before it, a registry port.
 */
export interface ImageRef {
  name: string;
  tag?: string;
  digest?: string;
}

export function parseImageRef(image: string): ImageRef {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const rest = at >= 0 ? image.slice(0, at) : image;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const hasTag = colon > slash;
  return {
    name: hasTag ? rest.slice(0, colon) : rest,
    ...(hasTag ? { tag: rest.slice(colon + 1) } : {}),
    ...(digest ? { digest } : {}),
  };
}
