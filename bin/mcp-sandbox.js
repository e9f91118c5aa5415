#!/usr/bin/env node
// Entry point: the bundled CLI in dist/ (built by `npm run build`; a published package ships it).
import { main } from '../dist/cli.js';

process.exitCode = await main();
