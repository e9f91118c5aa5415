import { parseImageRef } from '../helpers.js';
import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS702',
  name: 'image-without-digest',
  title: 'Image not pinned by digest',
  severity: 'info',
  references: { owasp: 'Rule #13' },
  rationale: 'A tag can be moved to other content; only an @sha256 digest names exactly the image that was reviewed. Local images (`pull: never`, or built by `mcp-sandbox build`) have no registry digest and are exempt.',
  remediation: 'Append the digest, e.g. `mcp/github:1.2.0@sha256:<digest>` (see `docker buildx imagetools inspect`).',
  check: (profile) => {
    if (profile.pull === 'never' || profile.build !== undefined) return [];
    const ref = parseImageRef(profile.image);
    if (ref.digest || ref.tag === undefined || ref.tag === 'latest') return [];
    return [{ pointer: '/image', message: `image ${profile.image} is pinned by tag only, not by digest` }];
  },
});
