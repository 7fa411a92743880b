// CDK app entry (cdk.json: "npx tsx bin/trailbook.ts"). All settings come from CDK context; see README "Deploying to AWS".
import { App } from 'aws-cdk-lib';
import { addTrailbookStacks } from '../stacks/app.ts';
import { loadConfig } from '../stacks/config.ts';

const app = new App();
addTrailbookStacks(app, loadConfig((key) => app.node.tryGetContext(key)));
app.synth();
