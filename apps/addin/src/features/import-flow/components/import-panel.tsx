import {
  Button,
  Caption1,
  Field,
  Input,
  makeStyles,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  ProgressBar,
  Spinner,
  tokens,
} from '@fluentui/react-components';
import { useEffect, useRef, useState } from 'react';
import { StatusBadge } from '../../../components/status-badge';
import type { ImportProgress } from '../../../lib/drafts';
import { formatBytes, formatDateTime } from '../../../lib/format';
import type { FlowState, ImportStep, RetryNote, useImportFlow } from '../hooks/use-import-flow';

const useStyles = makeStyles({
  root: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  actions: { display: 'flex', gap: tokens.spacingHorizontalS, flexWrap: 'wrap' },
  copy: { display: 'flex', gap: tokens.spacingHorizontalXS, alignItems: 'end' },
  grow: { flexGrow: 1, minWidth: 0 },
});

const STEP_LABELS: Record<ImportStep, string> = {
  resuming: 'Checking the unfinished import…',
  reading: 'Reading the message from Outlook…',
  creating: 'Creating the import…',
  uploading: 'Uploading the message…',
  extracting: 'Extracting attachments…',
  saving: 'Saving templates and attributes…',
  submitting: 'Submitting to the archive…',
  waiting: 'Waiting for the archive…',
};

export interface ImportPanelProps {
  flow: ReturnType<typeof useImportFlow>;
  /** why Import cannot be pressed now, if it cannot */
  blockedReason?: string;
}

/**
 * The pressed button (Import, Retry, Import again) is disabled while the
 * import runs and then replaced by the outcome, which drops the keyboard focus
 * to the page itself: the next Tab starts over and a screen reader loses its
 * place. The outcome's first control takes the focus back, but only when
 * nothing else holds it (the user may have moved on).
 */
function focusIfLost(element: HTMLElement | null): void {
  const active = document.activeElement;
  if (element && (active === null || active === document.body)) element.focus();
}

/** The Import button and everything that follows it: duplicate warning, progress, outcome. */
export function ImportPanel({ flow, blockedReason }: ImportPanelProps) {
  const styles = useStyles();
  const { state } = flow;
  const busy = state.phase === 'running' || state.phase === 'checking';
  const finished = state.phase === 'submitted';
  return (
    <div className={styles.root} aria-live="polite">
      <Outcome state={state} flow={flow} />
      {state.phase === 'idle' && flow.resumable && <Caption1>{resumeHint(flow.resumable)}</Caption1>}
      {!finished && state.phase !== 'duplicate' && state.phase !== 'failed' && (
        <div className={styles.actions}>
          <Button appearance="primary" disabled={busy || blockedReason !== undefined} onClick={() => void flow.start()}>
            {state.phase === 'error' ? 'Try again' : 'Import'}
          </Button>
          {state.phase === 'error' && <Button onClick={() => void flow.startOver()}>Start over</Button>}
        </div>
      )}
      {blockedReason && !busy && !finished && (
        <MessageBar intent="info">
          <MessageBarBody>{blockedReason}</MessageBarBody>
        </MessageBar>
      )}
    </div>
  );
}

/** Says that Import goes on with the import a reload interrupted, and how far it had got. */
function resumeHint(progress: ImportProgress): string {
  const extracted = Object.keys(progress.extracted).length;
  const done = [
    progress.uploaded ? 'message uploaded' : 'created',
    extracted > 0 ? `${extracted} attachment${extracted > 1 ? 's' : ''} extracted` : undefined,
    progress.saved ? 'details saved' : undefined,
  ].filter(Boolean);
  return `Import continues the unfinished import ${progress.id} (${done.join(', ')}).`;
}

function Outcome({ state, flow }: { state: FlowState; flow: ImportPanelProps['flow'] }) {
  switch (state.phase) {
    case 'idle':
      return null;
    case 'checking':
      return (
        <>
          <Spinner size="tiny" label="Checking for earlier imports…" />
          {state.retry && <RetryNotice retry={state.retry} />}
        </>
      );
    case 'duplicate':
      return (
        <MessageBar intent="warning" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>Already imported</MessageBarTitle>
            This message was imported {state.count > 1 ? `${state.count} times` : 'before'}, last on {formatDateTime(state.earlier.createdAt)} (
            <StatusBadge status={state.earlier.status} />
            {state.earlier.damisBatchId ? `, batch ${state.earlier.damisBatchId}` : ''}).
          </MessageBarBody>
          <MessageBarActions>
            <Button ref={focusIfLost} onClick={() => void flow.importAgain()}>
              Import again
            </Button>
            <Button appearance="subtle" onClick={flow.cancelDuplicate}>
              Cancel
            </Button>
          </MessageBarActions>
        </MessageBar>
      );
    case 'running':
      return <Running state={state} />;
    case 'invalid':
      return (
        <MessageBar intent="error">
          <MessageBarBody>{state.summary}</MessageBarBody>
        </MessageBar>
      );
    case 'error':
      return (
        <MessageBar intent="error" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>The import stopped</MessageBarTitle>
            {state.message} Your entries are kept; “Try again” continues where it stopped.
          </MessageBarBody>
        </MessageBar>
      );
    case 'failed':
      return (
        <MessageBar intent="error" layout="multiline">
          <MessageBarBody>
            <MessageBarTitle>The archive refused the import</MessageBarTitle>
            {state.error}
          </MessageBarBody>
          <MessageBarActions>
            <Button ref={focusIfLost} onClick={() => void flow.retrySubmit()}>
              Retry
            </Button>
          </MessageBarActions>
        </MessageBar>
      );
    case 'submitted':
      return <Submitted batchId={state.batchId} warnings={state.warnings} />;
  }
}

function Running({ state }: { state: Extract<FlowState, { phase: 'running' }> }) {
  const label = STEP_LABELS[state.step] + (state.detail ? ` ${state.detail}` : '');
  const progress =
    state.step === 'uploading' && state.upload && state.upload.total > 0 ? (
      <Field label={label} hint={`${formatBytes(state.upload.loaded)} of ${formatBytes(state.upload.total)}`} validationState="none">
        <ProgressBar value={state.upload.loaded / state.upload.total} max={1} thickness="large" />
      </Field>
    ) : (
      <Field label={label} validationState="none">
        <ProgressBar />
      </Field>
    );
  return (
    <>
      {progress}
      {state.retry && <RetryNotice retry={state.retry} />}
    </>
  );
}

/** Seconds left until `until`, counted down once a second. */
function useSecondsLeft(until: number): number {
  const left = () => Math.max(0, Math.ceil((until - Date.now()) / 1000));
  const [seconds, setSeconds] = useState(left);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `left` reads `until`, the only input
  useEffect(() => {
    setSeconds(left());
    const timer = setInterval(() => setSeconds(left()), 1000);
    return () => clearInterval(timer);
  }, [until]);
  return seconds;
}

/** Why the step waits and when it goes again: the server asked for a pause (Retry-After) or did not answer. */
function RetryNotice({ retry }: { retry: RetryNote }) {
  const seconds = useSecondsLeft(retry.until);
  return (
    <MessageBar intent="warning" layout="multiline">
      <MessageBarBody>
        <MessageBarTitle>Waiting for the server</MessageBarTitle>
        {retry.reason} {seconds > 0 ? `Trying again in ${seconds} s` : 'Trying again now'} (attempt {retry.attempt} of {retry.attempts}). Your entries are kept.
      </MessageBarBody>
    </MessageBar>
  );
}

function Submitted({ batchId, warnings }: { batchId: string; warnings: string[] }) {
  const styles = useStyles();
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState(false);
  // The batch id is what the user came for: land on it (selected, ready for Ctrl+C) when Import's button left.
  useEffect(() => focusIfLost(input.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(batchId);
      setCopied(true);
    } catch {
      // Some Outlook web views deny the clipboard: select the text so Ctrl+C works.
      input.current?.select();
    }
  };
  return (
    <>
      <MessageBar intent="success">
        <MessageBarBody>
          <MessageBarTitle>Submitted</MessageBarTitle>
          The archive accepted the message.
        </MessageBarBody>
      </MessageBar>
      <div className={styles.copy}>
        <Field label="Batch id" className={styles.grow}>
          <Input ref={input} readOnly value={batchId} onFocus={(e) => e.currentTarget.select()} />
        </Field>
        <Button onClick={() => void copy()}>{copied ? 'Copied' : 'Copy'}</Button>
      </div>
      {warnings.map((warning) => (
        <MessageBar key={warning} intent="warning">
          <MessageBarBody>{warning}</MessageBarBody>
        </MessageBar>
      ))}
    </>
  );
}
