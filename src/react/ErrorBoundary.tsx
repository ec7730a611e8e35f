/**
 * `useQuery` and `usePaginatedQuery` throw a failed query's error while
 * rendering. This boundary turns it into a message in place of the part that
 * failed, and starts over when `resetKey` changes (new filters, new rules), so
 * one bad input does not leave the panel broken.
 */
import { Component, type ReactNode } from "react";

export type AuditLogErrorInfo = {
  /** The package's error code (e.g. "INVALID_ARGUMENT", "FORBIDDEN") when the server sent one. */
  code?: string;
  message: string;
  /** Where in the arguments the problem is, e.g. "filters.status". */
  path?: string;
};

/**
 * What to tell the user about an error: a ConvexError's `data` (`{ code,
 * message, path }` from this package, or a string) when there is one, else
 * the error's first line.
 */
export function describeAuditLogError(error: unknown): AuditLogErrorInfo {
  if (typeof error === "object" && error !== null && "data" in error) {
    const data: unknown = (error as { data: unknown }).data;
    if (typeof data === "string") return { message: data };
    if (typeof data === "object" && data !== null) {
      const d = data as { code?: unknown; message?: unknown; path?: unknown };
      const info: AuditLogErrorInfo = { message: typeof d.message === "string" ? d.message : JSON.stringify(data) };
      if (typeof d.code === "string") info.code = d.code;
      if (typeof d.path === "string") info.path = d.path;
      return info;
    }
  }
  const raw = error instanceof Error ? error.message : String(error);
  // Convex writes "[CONVEX Q(module:fn)] [Request ID: …] Server Error", then in development
  // "Uncaught Error: <the thrown message>" and a stack; production stops after "Server Error".
  const lines = raw.replace(/^\[CONVEX [^\]]*\]\s*(\[Request ID: [^\]]*\]\s*)?/, "").split("\n");
  const uncaught = lines.map((l) => /^\s*Uncaught \w*Error: (.*)$/.exec(l)?.[1]).find((m) => m !== undefined);
  const message = (uncaught ?? lines[0]).slice(0, 500);
  return { message: message || "Unknown error" };
}

export function AuditLogErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const info = describeAuditLogError(error);
  return (
    <div
      role="alert"
      data-testid="audit-query-error"
      data-code={info.code}
      style={{ border: "1px solid #fca5a5", background: "#fef2f2", color: "#991b1b", borderRadius: 6, padding: "8px 12px", margin: "8px 0" }}
    >
      <strong>{info.code ?? "Error"}</strong>: {info.message}
      {info.path !== undefined && <span style={{ opacity: 0.8 }}> ({info.path})</span>}
      {onRetry && (
        <button type="button" onClick={onRetry} style={{ marginLeft: 12 }}>
          Try again
        </button>
      )}
    </div>
  );
}

type BoundaryProps = {
  /** When this changes (compared with ===), a shown error is cleared and the children render again. */
  resetKey?: unknown;
  children?: ReactNode;
  /** Rendering of the error; default AuditLogErrorMessage with a "Try again" button. */
  fallback?: (error: unknown, reset: () => void) => ReactNode;
};
type BoundaryState = { failed: boolean; error: unknown; resetKey: unknown };

export class AuditLogErrorBoundary extends Component<BoundaryProps, BoundaryState> {
  state: BoundaryState = { failed: false, error: undefined, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: unknown): Partial<BoundaryState> {
    return { failed: true, error };
  }

  static getDerivedStateFromProps(props: BoundaryProps, state: BoundaryState): Partial<BoundaryState> | null {
    return props.resetKey === state.resetKey ? null : { failed: false, error: undefined, resetKey: props.resetKey };
  }

  reset = () => this.setState({ failed: false, error: undefined });

  render() {
    if (!this.state.failed) return this.props.children;
    return this.props.fallback
      ? this.props.fallback(this.state.error, this.reset)
      : <AuditLogErrorMessage error={this.state.error} onRetry={this.reset} />;
  }
}
