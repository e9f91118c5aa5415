import { parseImageRef } from '../helpers.js';
import { defineRule } from '../types.js';

export const rule = defineRule({
  id: 'MS701',
  name: 'image-not-pinned',
  title: 'Image tag missing or latest',
  severity: 'warning',
  references: { owasp: 'Rule #13' },
  rationale: 'Without a version tag (or with `latest`) the image that runs changes whenever someone pushes, so the reviewed profile no longer describes what runs.',
  remediation: 'Use a version tag, e.g. `mcp/github:1.2.0`, and preferably an @sha256 digest.',
  check: (profile) => {
    const ref = parseImageRef(profile.image);
    if (ref.digest) return [];
    if (ref.tag === undefined) return [{ pointer: '/image', message: `image ${profile.image} has no tag, so it means :latest` }];
    if (ref.tag === 'latest') return [{ pointer: '/image', message: `image ${profile.image} uses the mutable tag latest` }];
    return [];
  },
});
