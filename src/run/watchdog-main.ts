/** Bundle entry of the watchdog process (dist/watchdog.js; see ./watchdog.ts). */
import { watchdogMain } from './watchdog.js';

watchdogMain();
