import { splitImageRef } from '../../../src/engine/http-client.js';

test('image references split into fromImage and tag', () => {
  expect(splitImageRef('node:20')).toEqual({ name: 'node', tag: '20' });
  expect(splitImageRef('localhost:5000/a/b')).toEqual({ name: 'localhost:5000/a/b', tag: 'latest' });
  expect(splitImageRef('ghcr.io/x/y@sha256:abc')).toEqual({ name: 'ghcr.io/x/y', tag: 'sha256:abc' });
});
