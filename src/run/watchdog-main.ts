/** Bundle entry of the watchdog process (dist/watchdog.js; see ./watchdog.ts), and of the warm pool's reaper (./warm-reaper.ts). */
import { watchdogMain } from './watchdog.js';
import { reaperMain } from './warm-reaper.js';

if (process.argv.includes('--pool-reaper')) reaperMain();
else watchdogMain();
