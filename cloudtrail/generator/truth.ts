import { resolveAction } from './catalog.ts';
import { PERSONAS, ROLES, TASKS } from './personas.ts';
import { CALLS, TEMPLATE_BY_NAME, TEMPLATES } from './templates.ts';

/** A burst template as the truth file states it: each action with the probability that a burst of it contains it. */
export interface TemplateTruth {
  name: string;
  via: string;
  /** `eventSource:eventName` -> probability of being in a burst of this template. */
  actions: Record<string, number>;
}

export interface GeneratorTruth {
  teams: { team: string; role: string; description: string; members: string[] }[];
  personas: { persona: string; principalKey: string; role: string; team: string }[];
  /** Task -> the templates it runs, in order. */
  tasks: Record<string, string[]>;
  templates: TemplateTruth[];
}

const full = (short: string) => {
  const a = resolveAction(short);
  return `${a.source}:${a.name}`;
};

/** What the generator does, as data: its teams and personas, their tasks and the burst templates they fire. */
export function generatorTruth(): GeneratorTruth {
  return {
    teams: ROLES.map((r) => ({ team: r.team, role: r.id, description: r.description, members: PERSONAS.filter((p) => p.role === r).map((p) => p.principalKey) })),
    personas: PERSONAS.map((p) => ({ persona: p.id, principalKey: p.principalKey, role: p.role.id, team: p.role.team })),
    tasks: Object.fromEntries(Object.entries(TASKS).map(([task, steps]) => [task, steps.map((s) => s.t)])),
    templates: TEMPLATES.map((t) => {
      const actions: Record<string, number> = {};
      for (const c of CALLS.get(t.name)!) {
        const a = full(c.action);
        actions[a] = 1 - (1 - (actions[a] ?? 0)) * (1 - c.p);
      }
      return { name: t.name, via: t.via, actions };
    }),
  };
}

/** Checks every task names known templates, every role known tasks, every call a well-formed action. */
export function validate(): void {
  for (const [task, steps] of Object.entries(TASKS))
    for (const s of steps) if (!TEMPLATE_BY_NAME.has(s.t)) throw new Error(`task "${task}": unknown template "${s.t}"`);
  for (const r of ROLES) {
    for (const task of Object.keys(r.tasks)) if (!TASKS[task]) throw new Error(`role ${r.id}: unknown task "${task}"`);
    for (const s of r.login) if (!TEMPLATE_BY_NAME.has(s.t)) throw new Error(`role ${r.id}: unknown login template "${s.t}"`);
  }
  for (const p of PERSONAS) for (const task of Object.keys(p.habits ?? {})) if (!p.role.tasks[task]) throw new Error(`persona ${p.id}: habit for a task its role lacks, "${task}"`);
  for (const calls of CALLS.values()) for (const c of calls) resolveAction(c.action);
}
