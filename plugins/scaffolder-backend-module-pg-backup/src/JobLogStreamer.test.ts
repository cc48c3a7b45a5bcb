import { newLogLines } from './JobLogStreamer';

describe('newLogLines', () => {
  it('drops the part of a tail that was printed already', () => {
    expect(newLogLines(['a', 'b', 'c'], ['b', 'c', 'd', 'e'])).toEqual([
      'd',
      'e',
    ]);
    expect(newLogLines(['a', 'b'], ['a', 'b'])).toEqual([]);
    expect(newLogLines([], ['a'])).toEqual(['a']);
  });

  it('prints a whole tail that does not overlap (the log grew past the tail)', () => {
    expect(newLogLines(['a', 'b'], ['x', 'y'])).toEqual(['x', 'y']);
  });

  it('handles repeated identical lines by the longest overlap', () => {
    expect(
      newLogLines(['retry', 'retry'], ['retry', 'retry', 'retry']),
    ).toEqual(['retry']);
  });
});
