/** Bundle entry of the watchdog process (dist/watchdog.js; see ./watchdog.ts), and of the warm pool's reaper (./warm-reaper.ts). */
import { watchdogMain } from './watchdog.js';
import { REAPER_FLAG } from './warm-lock.js';
import { reaperMain } from './warm-reaper.js';

if (process.argv.includes(REAPER_FLAG)) reaperMain();
else watchdogMain();
