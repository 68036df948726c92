// deploy-ami ended at representative mutating calls, part 1 of 3 (see deploy-interruptions.ts): the
// uninterrupted run, then the runner's cancel, a kill and throttling at its first, middle, last call.
import { deployInterruptionTests, SIGNAL_AND_THROTTLE } from './deploy-interruptions.js';

deployInterruptionTests({ uninterrupted: true, endings: SIGNAL_AND_THROTTLE });
