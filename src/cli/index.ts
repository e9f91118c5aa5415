/** Bundle entry: re-exports main for bin/mcp-sandbox.js. */
export { main } from './main.js';
