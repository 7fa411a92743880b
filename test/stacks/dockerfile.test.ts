import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerignorePatterns, REPO_ROOT } from '../../stacks/paths.ts';
import { envOf, execForm, last, parseDockerfile } from './dockerfile.ts';

const stages = parseDockerfile();
const runtime = stages.at(-1)!;

describe('Dockerfile', () => {
  it('is multi-stage: dependencies and the UI build happen in earlier stages', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((stage) => stage.name === 'build')!;
    expect(build.instructions.some((i) => i.keyword === 'RUN' && /npm run build/.test(i.args))).toBe(true);
    // The runtime stage installs no dev dependencies and builds nothing itself.
    const copiesFrom = runtime.instructions.filter((i) => i.keyword === 'COPY').map((i) => /--from=(\S+)/.exec(i.args)?.[1]);
    expect(copiesFrom).toEqual(expect.arrayContaining(['build', 'prod-deps']));
    const prodDeps = stages.find((stage) => stage.name === 'prod-deps')!;
    expect(prodDeps.instructions.some((i) => i.keyword === 'RUN' && /npm ci --omit=dev/.test(i.args))).toBe(true);
    expect(runtime.instructions.some((i) => i.keyword === 'RUN' && /npm (ci|install)/.test(i.args))).toBe(false);
  });

  it('runs as a non-root user with uid 1000, the EFS access point uid', () => {
    const user = last(runtime, 'USER');
    expect(user?.args).toBe('node');
    expect(runtime.from).toMatch(/^\$\{NODE_IMAGE\}|^node:/);
    expect(readFileSync(path.join(REPO_ROOT, 'stacks/application-stack.ts'), 'utf8')).toContain("APP_UID = '1000'");
  });

  it('serves the workbench on 0.0.0.0:8888 and health-checks /healthcheck on that port', () => {
    expect(execForm(last(runtime, 'CMD')!.args)).toEqual(['node', 'cli/trailbook.js', 'serve', '--host', '0.0.0.0', '--port', '8888']);
    expect(last(runtime, 'EXPOSE')?.args).toBe('8888');
    const healthcheck = last(runtime, 'HEALTHCHECK')!.args;
    expect(healthcheck).toMatch(/--interval=\d+s/);
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD')));
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toContain('http://127.0.0.1:8888/healthcheck');
    expect(envOf(runtime)).toMatchObject({ TRAILBOOK_NOTEBOOK_DIR: '/data/notebooks', TRAILBOOK_STATE_DIR: '/data/state', NODE_ENV: 'production' });
    // Both are volumes: the share-link secret and registry survive a new container like the notebooks do.
    expect(execForm(last(runtime, 'VOLUME')!.args)).toEqual(['/data/notebooks', '/data/state']);
  });

  it('keeps the build context to sources: .dockerignore drops dependencies, outputs, data and caches', () => {
    const patterns = dockerignorePatterns();
    for (const pattern of ['node_modules', 'cdk.out', '.data', '.cache', '.git', 'test', 'workbench/public/build']) expect(patterns).toContain(pattern);
    // The image must still get what the CMD runs.
    for (const needed of ['cli', 'workbench', 'mcp', 'kernel', 'cloudtrail', 'package.json', 'package-lock.json', 'Dockerfile']) expect(patterns).not.toContain(needed);
  });

  it('installs git (and ssh, CA roots) for git-backed notebooks, and seeds the volume from the image\'s notebooks', () => {
    const install = runtime.instructions.find((i) => i.keyword === 'RUN' && /apt-get install/.test(i.args))!;
    for (const pkg of ['git', 'openssh-client', 'ca-certificates']) expect(install.args.split(/\s+/)).toContain(pkg);
    expect(install.args).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    // Installed as root, before the image drops to the node user.
    const index = (keyword: string) => runtime.instructions.findIndex((i) => i.keyword === keyword);
    expect(runtime.instructions.indexOf(install)).toBeLessThan(index('USER'));
    expect(envOf(runtime).TRAILBOOK_SEED_DIR).toBe('/app/notebooks');
    expect(dockerignorePatterns()).not.toContain('notebooks');
  });
});
