// deploy-ami ended at representative mutating calls, part 2 of 3 (see deploy-interruptions.ts): the
// endings other than signals and throttling (5xx, drop, denied, unhealthy, and any added later).
import { deployInterruptionTests, OTHER_ENDINGS } from './deploy-interruptions.js';

deployInterruptionTests({ endings: OTHER_ENDINGS });
