import { Component, type ErrorInfo, type ReactNode } from 'react';

export interface ViewBoundaryProps {
  /** what shows instead of the view once it failed; `retry` renders the view again */
  fallback: (error: unknown, retry: () => void) => ReactNode;
  /** told before the view is rendered again, e.g. to load its code anew */
  onRetry?: () => void;
  children: ReactNode;
}

/**
 * An error boundary: a view that failed to load or to render is replaced by
 * `fallback` instead of blanking the whole pane. What went wrong technically
 * goes to the console; the user reads the fallback.
 */
export class ViewBoundary extends Component<ViewBoundaryProps, { error?: unknown; failed: boolean }> {
  override state: { error?: unknown; failed: boolean } = { failed: false };

  static getDerivedStateFromError(error: unknown) {
    return { error, failed: true };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error('A view of the pane failed', error, info.componentStack);
  }

  private readonly retry = () => {
    this.props.onRetry?.();
    this.setState({ error: undefined, failed: false });
  };

  override render() {
    return this.state.failed ? this.props.fallback(this.state.error, this.retry) : this.props.children;
  }
}
