import cliProgress from 'cli-progress';
import type { Options } from 'cli-progress';
import {
  PROGRESS_STAGES,
  progressHeadline,
  stageFigure,
  stageRate,
  stageTotal,
  type PipelineProgress,
  type ProgressStage,
} from './pipeline-progress.js';

/** The live per-stage display of `nhs-flows start` (cli-progress redraws it in place on a terminal). */
export interface ProgressDisplay {
  /** Prints a line above the live display. */
  log(line: string): void;
  /** Stops redrawing and clears the display (the final summary takes its place). */
  stop(): void;
}

const BAR_SIZE = 20;

/**
 * Draws one line per stage (count, bar where the total is known, records/s) under a headline
 * (elapsed time, batches done and failed), from `progress()` at each redraw, 4 times a second on a
 * terminal and every 10 s otherwise. Counts only: never an identifier.
 */
export function startProgressDisplay(
  progress: () => PipelineProgress,
  options: { readonly stream: NodeJS.WriteStream; readonly now?: () => number },
): ProgressDisplay {
  const now = options.now ?? Date.now;
  const multibar = new cliProgress.MultiBar({
    stream: options.stream,
    fps: 4,
    hideCursor: true,
    clearOnComplete: true,
    // Not cli-progress's own signal handling: its listener would keep Ctrl-C from ending the run.
    gracefulExit: false,
    noTTYOutput: !options.stream.isTTY,
    notTTYSchedule: 10_000,
    barsize: BAR_SIZE,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    format: (format: Options, _params: unknown, payload: { line: 'headline' | ProgressStage }) =>
      payload.line === 'headline'
        ? progressHeadline(progress(), now())
        : stageLine(progress(), payload.line, format),
  });
  multibar.create(1, 0, { line: 'headline' });
  for (const stage of PROGRESS_STAGES) multibar.create(1, 0, { line: stage });
  // Ctrl-C: give the cursor back, then let the signal do what it would have done without us.
  const onSignal = (signal: NodeJS.Signals) => {
    multibar.stop();
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    log: (line) => multibar.log(`${line}\n`),
    stop: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      multibar.stop();
    },
  };
}

function stageLine(progress: PipelineProgress, stage: ProgressStage, format: Options): string {
  const total = stageTotal(progress, stage);
  const count = progress.stages[stage].count;
  const bar =
    total === undefined
      ? ' '.repeat(BAR_SIZE)
      : cliProgress.Format.BarFormat(Math.min(1, count / total), format);
  const rate = Math.round(stageRate(progress, stage)).toLocaleString('en-GB');
  return `  ${stage.padEnd(14)} ${bar}  ${stageFigure(progress, stage)} · ${rate}/s`;
}
