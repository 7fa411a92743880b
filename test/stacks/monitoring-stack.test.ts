import { describe, expect, it } from 'vitest';
import { synthTrailbook } from './support.ts';

const { templates } = synthTrailbook();

interface Widget {
  properties: { title: string; metrics: Array<Array<string | Record<string, unknown>>> };
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
  let namespace = '';
  let name = '';
  return widget.properties.metrics.map((row) => {
    const [ns, metric] = row as string[];
    namespace = ns === '.' ? namespace : ns;
    name = metric === '.' ? name : metric;
    return `${namespace} ${name}`;
  });
}

describe('MonitoringStack', () => {
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
});
