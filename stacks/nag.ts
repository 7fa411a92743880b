import { createRequire } from 'node:module';
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

// cdk-nag is CommonJS whose re-exports (`__exportStar`) Node's ESM loader cannot name; load it with require.
const cdkNag = createRequire(import.meta.url)('cdk-nag') as typeof import('cdk-nag');
export const { AwsSolutionsChecks } = cdkNag;

/**
 * Acknowledges one cdk-nag finding on `scope` and everything under it. `rule` is the exact finding id
 * (`AwsSolutions-IAM5[Resource::*]`, never a bare rule for a whole family), and the reason is required.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  if (!reason.trim()) throw new Error(`a reason is required to acknowledge ${rule}`);
  Validations.of(scope).acknowledge({ id: rule, reason });
}
