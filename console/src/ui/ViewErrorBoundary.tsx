import { Component, Fragment, type ErrorInfo, type ReactNode } from 'react';
import { latestRequestId } from '../api/request-ids';
import { Link } from '../router';

interface Props {
  /** Where "back" leads: the area's own list (e.g. /datasets), which does not depend on the failed view. */
  back?: { to: string; label: string } | undefined;
  /** The address: when it changes, a shown error is cleared and the new view renders. */
  resetKey: string;
  children: ReactNode;
}

interface State {
  error: Error | undefined;
  requestId: string | undefined;
  /** Bumped by "Try again": the view mounts afresh, so its queries ask the API again. */
  attempt: number;
}

/**
 * Catches a render error of one view (e.g. an answer of a shape the view cannot show) so that only
 * that view is replaced, by a readable message, the request id of the answer it was showing, and a
 * way back; the header and the other areas keep working. Without it React unmounts the whole tree
 * and the page goes blank. The App mounts one per route and address (keyed by path), so leaving
 * the address clears it.
 */
export class ViewErrorBoundary extends Component<Props, State> {
  override state: State = { error: undefined, requestId: undefined, attempt: 0 };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    // The latest answer is the one the view was rendering when it broke (render runs right after it arrives).
    return { error: error instanceof Error ? error : new Error(String(error)), requestId: latestRequestId() };
  }

  override componentDidUpdate(previous: Props): void {
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: undefined, requestId: undefined });
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    // The browser console keeps the stack for whoever reports it; nothing leaves the page.
    console.error('A console view failed to render', error, info.componentStack);
  }

  override render(): ReactNode {
    const { error, requestId } = this.state;
    if (!error) return <Fragment key={this.state.attempt}>{this.props.children}</Fragment>;
    return (
      <section aria-labelledby="view-error-title">
        <h1 id="view-error-title">This page could not be shown</h1>
        <div className="error" role="alert" data-code="RENDER_ERROR">
          <strong>The console could not display what the API answered.</strong>
          <span className="detail"> {error.message}</span>
        </div>
        {requestId ? <p>Request id <code data-testid="request-id">{requestId}</code> (operators find the request by it).</p> : null}
        <p className="toolbar">
          <button type="button" onClick={() => this.setState((state) => ({ error: undefined, requestId: undefined, attempt: state.attempt + 1 }))}>Try again</button>
          {this.props.back ? <Link to={this.props.back.to}>{this.props.back.label}</Link> : null}
        </p>
      </section>
    );
  }
}
