/**
 * A module hook for `node --import` (NODE_OPTIONS) in CLI tests: the module
 * whose URL ends in TOA_TEST_HOLD_MODULE is not loaded until the file
 * TOA_TEST_HOLD_UNTIL exists, so a test can look at what a process does
 * before that module (and everything it imports) is there.
 */
import { register } from 'node:module';

register('./hold-module-hooks.mjs', import.meta.url);
