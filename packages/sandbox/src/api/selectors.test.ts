import { parseFieldSelector, parseLabelSelector } from './selectors';

const obj = (
  labels: Record<string, string>,
  extra: Record<string, unknown> = {},
) => ({ metadata: { name: 'p', namespace: 'qawave', labels }, ...extra });

describe('parseLabelSelector', () => {
  it.each([
    ['app=db', { app: 'db' }, true],
    ['app==db', { app: 'db' }, true],
    ['app!=db', { app: 'db' }, false],
    ['app!=db', {}, true],
    ['tier in (db, cache)', { tier: 'cache' }, true],
    ['tier notin (db,cache)', { tier: 'web' }, true],
    ['tier notin (db)', {}, true],
    ['app', { app: '' }, true],
    ['!app', { app: 'x' }, false],
    [
      'app.kubernetes.io/name=postgresql-backup,tier in (db)',
      { 'app.kubernetes.io/name': 'postgresql-backup', tier: 'db' },
      true,
    ],
    ['', { any: 'thing' }, true],
  ])('%p on %p is %p', (selector, labels, expected) => {
    expect(parseLabelSelector(selector)(obj(labels))).toBe(expected);
  });

  it.each(['a in (b', 'a=b c', 'bad key=v', 'a=$(x)'])(
    'rejects %p with a 400',
    selector => {
      expect(() => parseLabelSelector(selector)).toThrow(
        expect.objectContaining({ code: 400 }),
      );
    },
  );
});

describe('parseFieldSelector', () => {
  it('matches the fields Kubernetes allows for the kind', () => {
    const pod = obj({}, { status: { phase: 'Running' } });
    expect(
      parseFieldSelector('status.phase=Running,metadata.name=p', 'Pod')(pod),
    ).toBe(true);
    expect(parseFieldSelector('status.phase!=Running', 'Pod')(pod)).toBe(false);
  });
  it('rejects a field the kind does not support', () => {
    expect(() => parseFieldSelector('spec.replicas=1', 'Deployment')).toThrow(
      /field label not supported: spec.replicas/,
    );
  });
});
