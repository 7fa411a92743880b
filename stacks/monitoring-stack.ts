import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { Alarms } from './alarms.ts';
import type { TrailbookConfig } from './config.ts';

export interface MonitoringStackProps extends StackProps {
  config: TrailbookConfig;
  mcpFunction: lambda.IFunction;
  service: ecs.FargateService;
  loadBalancer: elbv2.ApplicationLoadBalancer;
  targetGroup: elbv2.ApplicationTargetGroup;
}

/** One dashboard (the MCP Lambda, the Fargate task, the load balancer) and the alarms that notify an SNS topic. */
export class MonitoringStack extends Stack {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { mcpFunction, service, loadBalancer } = props;
    const period = Duration.minutes(5);
    const alb = loadBalancer.metrics;

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.config.stackPrefix}-workbench`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'MCP Lambda invocations and errors',
        left: [mcpFunction.metricInvocations({ period, statistic: 'Sum' }), mcpFunction.metricErrors({ period, statistic: 'Sum' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'MCP Lambda duration (ms)',
        left: [
          mcpFunction.metricDuration({ period, statistic: 'p50' }),
          mcpFunction.metricDuration({ period, statistic: 'p99' }),
          mcpFunction.metricDuration({ period, statistic: 'Maximum' }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'MCP Lambda throttles',
        left: [mcpFunction.metricThrottles({ period, statistic: 'Sum' })],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Workbench task CPU and memory (%)',
        left: [service.metricCpuUtilization({ period }), service.metricMemoryUtilization({ period })],
        leftYAxis: { min: 0, max: 100 },
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'ALB requests',
        left: [alb.requestCount({ period, statistic: 'Sum' })],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'ALB target latency (s)',
        left: [alb.targetResponseTime({ period, statistic: 'p50' }), alb.targetResponseTime({ period, statistic: 'p99' })],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'ALB 5xx',
        left: [
          alb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period, statistic: 'Sum' }),
          alb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }),
        ],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: 'Healthy workbench targets',
        left: [props.targetGroup.metrics.healthyHostCount({ period, statistic: 'Minimum' })],
        width: 12,
      }),
    );

    this.alarms = new Alarms(this, 'Alarms', props);
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms.all, width: 24, height: 4 }),
    );

    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
  }
}
