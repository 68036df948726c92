// bake's unit cloud: localcloud in-process (test/unit/support/localcloud-context.ts) and the base
// images the bakes start from.
import { baseImageId } from '../../localcloud/seed.js';
import { REGION } from '../support/localcloud-context.js';

export * from '../support/localcloud-context.js';

export const AL2023 = baseImageId(REGION, 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64');
export const WINDOWS_2022 = baseImageId(REGION, 'Windows_Server-2022-English-Full-Base-2024.12.13');
