// deploy-ami ended at representative mutating calls, part 3 of 3 (see deploy-interruptions.ts): a
// deploy whose AMI fails in one group, and the endings that strike its put-back.
import { deployInterruptionTests } from './deploy-interruptions.js';

deployInterruptionTests({ putBack: true });
