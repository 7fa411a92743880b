import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { synthTrailbook } from './support.ts';

const { templates } = synthTrailbook();

interface Widget {
  type: string;
  properties: { title: string; metrics: Array<Array<string | Record<string, unknown>>>; alarms?: string[] };
}

/** The dashboard body is a Fn::Join of literal JSON and references: keep the literal parts, stub the references. */
function dashboardWidgets(): Widget[] {
  const dashboards = Object.values(templates.monitoring.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const [, parts] = dashboards[0].Properties.DashboardBody['Fn::Join'] as [string, unknown[]];
  const body = parts.map((part) => (typeof part === 'string' ? part : 'REF')).join('');
  return JSON.parse(body).widgets;
}

/** [namespace, metric name] of every metric in a widget (CloudWatch's compact form repeats "." for "same as above"). */
function metricsOf(widget: Widget): string[] {
  if (widget.type !== 'metric') return [];
  let namespace = '';
  let name = '';
  return widget.properties.metrics.map((row) => {
    const [ns, metric] = row as string[];
    namespace = ns === '.' ? namespace : ns;
    name = metric === '.' ? name : metric;
    return `${namespace} ${name}`;
  });
}

type Resources = Record<string, { Type: string; Properties: any }>;
const alarms = () =>
  Object.entries(templates.monitoring.toJSON().Resources as Resources)
    .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
    .map(([id, r]) => ({ id, ...r.Properties }));
const alarm = (prefix: string) => alarms().find((a) => a.id.startsWith(`Alarms${prefix}`))!;
/** Metric names an alarm watches, directly or through its math expression. */
const watched = (a: any): string[] => (a.MetricName ? [a.MetricName] : a.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName)).sort();

describe('MonitoringStack', { timeout: 120_000 }, () => {
  it('graphs Lambda invocations, errors and duration, Fargate CPU and memory, ALB requests, latency and 5xx', () => {
    const all = dashboardWidgets().flatMap(metricsOf);
    for (const metric of [
      'AWS/Lambda Invocations',
      'AWS/Lambda Errors',
      'AWS/Lambda Duration',
      'AWS/ECS CPUUtilization',
      'AWS/ECS MemoryUtilization',
      'AWS/ApplicationELB RequestCount',
      'AWS/ApplicationELB TargetResponseTime',
      'AWS/ApplicationELB HTTPCode_ELB_5XX_Count',
      'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
    ]) {
      expect(all, metric).toContain(metric);
    }
  });

  it('points the metrics at the deployed function, service and load balancer', () => {
    const widgets = dashboardWidgets();
    const lambda = widgets.find((w) => w.properties.title.startsWith('MCP Lambda invocations'))!;
    expect(lambda.properties.metrics[0]).toEqual(['AWS/Lambda', 'Invocations', 'FunctionName', 'REF', expect.anything()]);
    const ecs = widgets.find((w) => w.properties.title.startsWith('Workbench task CPU'))!;
    expect(ecs.properties.metrics[0].slice(0, 6)).toEqual(['AWS/ECS', 'CPUUtilization', 'ClusterName', 'REF', 'ServiceName', 'REF']);
    const alb = widgets.find((w) => w.properties.title === 'ALB 5xx')!;
    expect(alb.properties.metrics[0].slice(0, 4)).toEqual(['AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', 'LoadBalancer', 'REF']);
  });

  it('alarms on ALB 5xx, unhealthy or missing targets, a task not running, task memory, Lambda errors and throttles', () => {
    expect(alarms().map((a) => a.id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(
      ['AlarmsHttp5xx', 'AlarmsMcpErrors', 'AlarmsMcpThrottles', 'AlarmsNoHealthyTarget', 'AlarmsTaskMemory', 'AlarmsTaskNotRunning', 'AlarmsUnhealthyTargets'].sort(),
    );
    expect(watched(alarm('Http5xx'))).toEqual(['HTTPCode_ELB_5XX_Count', 'HTTPCode_Target_5XX_Count']);
    expect(alarm('Http5xx')).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(watched(alarm('UnhealthyTargets'))).toEqual(['UnHealthyHostCount']);
    expect(alarm('NoHealthyTarget')).toMatchObject({ MetricName: 'HealthyHostCount', ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching' });
    expect(watched(alarm('TaskNotRunning'))).toEqual(['DesiredTaskCount', 'RunningTaskCount']);
    expect(alarm('TaskMemory')).toMatchObject({ Namespace: 'AWS/ECS', MetricName: 'MemoryUtilization', Threshold: 85 });
    expect(alarm('McpErrors')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors' });
    expect(alarm('McpThrottles')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Threshold: 1 });
  });

  it('notifies an encrypted, TLS-only SNS topic on alarm and on recovery; no email unless alarmEmail is set', () => {
    const topic = Object.keys(templates.monitoring.findResources('AWS::SNS::Topic'))[0];
    for (const a of alarms()) {
      expect(a.AlarmActions, a.id).toEqual([{ Ref: topic }]);
      expect(a.OKActions, a.id).toEqual([{ Ref: topic }]);
    }
    templates.monitoring.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    templates.monitoring.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    templates.monitoring.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    templates.monitoring.resourceCountIs('AWS::SNS::Subscription', 0);
    templates.monitoring.hasOutput('AlarmTopicArn', { Value: { Ref: topic } });
  });

  it('announces every stop of a workbench task with its reason, from the ECS event', () => {
    templates.monitoring.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: [Match.anyValue()], group: [Match.anyValue()], lastStatus: ['STOPPED'] },
      },
      Targets: [Match.objectLike({ InputTransformer: Match.objectLike({ InputTemplate: Match.stringLikeRegexp('stopped: <detail-stoppedReason>') }) })],
    });
  });

  it('shows the alarms on the dashboard', () => {
    const status = dashboardWidgets().find((w) => w.type === 'alarm')!;
    expect(status.properties.alarms).toHaveLength(alarms().length);
  });
});
