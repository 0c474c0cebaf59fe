import 'reflect-metadata';
import { storedExplanation } from '../src/match-explanation';

describe('a stored match explanation', () => {
  const parts = {
    blockingKeys: ['ssn'],
    fields: [{ field: 'ssn', level: 'full', weight: 11, frequencyAdjustment: 0 }],
    prior: -10,
    total: 14.5,
    margin: 3,
    guards: [],
    summary: 'matched',
  };

  it("answers the runner-up's id as stored by the runner (rosterPatientId)", () => {
    expect(storedExplanation({ ...parts, runnerUp: { score: 11.5, rosterPatientId: 'rp-2' } })).toEqual({
      ...parts,
      runnerUp: { score: 11.5, rosterPatientId: 'rp-2' },
    });
  });

  it('reads a runner-up stored before rosterPatientId was selected ({ rosterPatient: { id } }) the same way', () => {
    expect(storedExplanation({ ...parts, runnerUp: { score: 11.5, rosterPatient: { id: 'rp-2' } } })?.runnerUp).toEqual({
      score: 11.5,
      rosterPatientId: 'rp-2',
    });
  });

  it('reads an explanation stored before frequency adjustments and the prior were kept as having neither', () => {
    const { prior: _prior, ...before } = { ...parts, fields: [{ field: 'ssn', level: 'full', weight: 11 }], runnerUp: null };
    expect(storedExplanation(before)).toEqual({ ...parts, runnerUp: null, prior: 0 });
  });

  it('has no runner-up when none was stored, and fills the parts of a summary-only explanation', () => {
    expect(storedExplanation({ ...parts, runnerUp: null })?.runnerUp).toBeNull();
    expect(storedExplanation({ summary: 'old' })).toEqual({
      blockingKeys: [],
      fields: [],
      prior: 0,
      total: 0,
      runnerUp: null,
      margin: null,
      guards: [],
      summary: 'old',
    });
    expect(storedExplanation(null)).toBeNull();
  });
});
