import { ApprovalWaitSlots } from './ApprovalWaitSlots';

describe('ApprovalWaitSlots', () => {
  it('gives out at most max slots, refusing beyond with the setting named, and takes them back', () => {
    const slots = new ApprovalWaitSlots(2);
    const releaseA = slots.acquire('task-a:wait');
    slots.acquire('task-b:wait');
    expect(() => slots.acquire('task-c:wait')).toThrow(
      /pgBackup\.scaffolder\.maxWaitingApprovals = 2/,
    );
    // The same holder (a resumed step) keeps its slot.
    expect(() => slots.acquire('task-a:wait')).not.toThrow();
    releaseA();
    expect(slots.waiting).toBe(1);
    expect(() => slots.acquire('task-c:wait')).not.toThrow();
  });

  it('refuses a cap that is not a whole number of at least 1', () => {
    expect(() => new ApprovalWaitSlots(0)).toThrow(
      'pgBackup.scaffolder.maxWaitingApprovals must be a whole number of at least 1, got 0',
    );
    expect(() => new ApprovalWaitSlots(2.5)).toThrow('got 2.5');
  });
});
