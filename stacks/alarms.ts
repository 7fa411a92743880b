import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { TrailbookConfig } from './config.ts';

export interface AlarmsProps {
  config: TrailbookConfig;
  mcpFunction: lambda.IFunction;
  service: ecs.FargateService;
  loadBalancer: elbv2.ApplicationLoadBalancer;
  targetGroup: elbv2.ApplicationTargetGroup;
}

/**
 * Alarms that notify an SNS topic (and, with `alarmEmail`, a person): the workbench failing requests or going
 * unhealthy, its task stopping or running out of memory, the MCP Lambda erroring or being throttled. Each
 * also notifies when it recovers. A stopped task (a crash, an out-of-memory kill, a failed health check) is
 * announced at once from the ECS event, with ECS's reason.
 */
export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly all: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { config, mcpFunction, service, loadBalancer, targetGroup } = props;
    const stack = Stack.of(this);

    // Encrypted with our own key: CloudWatch and EventBridge may use it to publish, nobody else.
    const key = new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: 'Trailbook alarm topic encryption' });
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Publish${service.split('.')[0]}`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'], // in a key policy "*" means this key
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    }
    this.topic = new sns.Topic(this, 'Topic', { displayName: `${config.stackPrefix} alarms`, masterKey: key, enforceSSL: true });
    if (config.alarmEmail) this.topic.addSubscription(new EmailSubscription(config.alarmEmail));

    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);
    const alb = loadBalancer.metrics;
    const add = (id: string, props: cloudwatch.AlarmProps) => {
      const alarm = new cloudwatch.Alarm(this, id, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...props });
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarm.addOkAction(new SnsAction(this.topic));
      this.all.push(alarm);
      return alarm;
    };

    add('Http5xx', {
      alarmDescription: 'The load balancer or the workbench answered 5xx (5 or more in 5 minutes): see the workbench logs.',
      metric: new cloudwatch.MathExpression({
        label: 'ALB + target 5xx',
        expression: 'FILL(elb, 0) + FILL(target, 0)',
        usingMetrics: {
          elb: alb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { statistic: 'Sum' }),
          target: alb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { statistic: 'Sum' }),
        },
        period: fiveMinutes,
      }),
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    add('UnhealthyTargets', {
      alarmDescription: 'A workbench task has failed its /healthcheck for 3 minutes.',
      metric: targetGroup.metrics.unhealthyHostCount({ statistic: 'Maximum', period: minute }),
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    add('NoHealthyTarget', {
      alarmDescription: 'No healthy workbench task behind the load balancer for 3 minutes: the workbench is down.',
      metric: targetGroup.metrics.healthyHostCount({ statistic: 'Minimum', period: minute }),
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // No data points means no target reported at all.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    add('TaskNotRunning', {
      alarmDescription: 'The workbench service has had fewer running tasks than desired for 5 minutes (tasks keep stopping).',
      metric: new cloudwatch.MathExpression({
        label: 'desired - running',
        expression: 'desired - running',
        usingMetrics: {
          desired: containerInsights('DesiredTaskCount', service),
          running: containerInsights('RunningTaskCount', service),
        },
        period: minute,
      }),
      threshold: 1,
      evaluationPeriods: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    add('TaskMemory', {
      alarmDescription: 'The workbench task has used over 85% of its memory for 15 minutes: kernels may be killed. Raise taskMemoryMb, or lower TRAILBOOK_KERNEL_MEMORY_MB.',
      metric: service.metricMemoryUtilization({ statistic: 'Average', period: fiveMinutes }),
      threshold: 85,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    add('McpErrors', {
      alarmDescription: 'The CloudTrail MCP Lambda failed 5 or more invocations in 5 minutes: see its log group.',
      metric: mcpFunction.metricErrors({ statistic: 'Sum', period: fiveMinutes }),
      threshold: 5,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    add('McpThrottles', {
      alarmDescription: 'The CloudTrail MCP Lambda was throttled (account or reserved concurrency reached).',
      metric: mcpFunction.metricThrottles({ statistic: 'Sum', period: fiveMinutes }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    // Every stop of a workbench task, with ECS's reason, the moment it happens (a deploy's planned stop included).
    new events.Rule(this, 'TaskStopped', {
      description: 'Trailbook workbench task stopped',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [service.cluster.clusterArn], group: [`service:${service.serviceName}`], lastStatus: ['STOPPED'] },
      },
      targets: [
        new targets.SnsTopic(this.topic, {
          message: events.RuleTargetInput.fromText(
            `Trailbook workbench task ${events.EventField.fromPath('$.detail.taskArn')} stopped: ${events.EventField.fromPath('$.detail.stoppedReason')} (${events.EventField.fromPath('$.detail.stopCode')})`,
          ),
        }),
      ],
    });

    new CfnOutput(stack, 'AlarmTopicArn', { value: this.topic.topicArn, description: 'Subscribe to be told about alarms (or set -c alarmEmail=...)' });
  }
}

/** A Container Insights service metric (the cluster has Container Insights on). */
function containerInsights(metricName: string, service: ecs.FargateService): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'ECS/ContainerInsights',
    metricName,
    dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: service.serviceName },
    statistic: 'Average',
    period: Duration.minutes(1),
  });
}
