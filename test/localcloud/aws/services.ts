import { autoscalingService } from './autoscaling.js';
import { ec2Service } from './ec2.js';
import { eventBridgeService } from './eventbridge.js';
import { elbv2Service } from './elbv2.js';
import type { AwsService } from './service.js';
import { sqsService } from './sqs.js';
import { ssmService } from './ssm.js';
import { stsService } from './sts.js';

/** Every AWS service localcloud serves, by SigV4 signing name. */
export const SERVICES: readonly AwsService[] = [
  ec2Service,
  autoscalingService,
  elbv2Service,
  ssmService,
  stsService,
  sqsService,
  eventBridgeService,
];
