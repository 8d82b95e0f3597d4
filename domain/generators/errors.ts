/** Why a console action on a generator was refused (each maps to one HTTP status and CLI exit code). */
export const GeneratorProblem = {
  /** No generator has that id: 404. */
  UnknownGenerator: 'unknown_generator',
  /** A setting or the code is not acceptable; `field` names it: 400. */
  BadSetting: 'bad_setting',
  /** The status change is not allowed now (promotion without a passing test…): 409. */
  StatusRefused: 'status_refused',
  /** The action needs a schedule and the generator has none (no cron): 409. */
  NoSchedule: 'no_schedule',
  /** The action contradicts the schedule's state (resume of a schedule crawlflow paused): 409. */
  ScheduleState: 'schedule_state',
} as const;
export type GeneratorProblem = (typeof GeneratorProblem)[keyof typeof GeneratorProblem];

/** A refused generator action, naming the generator and, for a bad input, the field. */
export class GeneratorActionError extends Error {
  override readonly name = 'GeneratorActionError';
  constructor(
    readonly problem: GeneratorProblem,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
