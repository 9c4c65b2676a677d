/** A message or recipient status as a coloured pill; colours live in globals.css (`.badge-<status>`). */
export const StatusBadge = ({ status }: { status: string | null | undefined }) => {
  const value = status ?? 'UNKNOWN';
  return (
    <span className={`badge badge-${value.toLowerCase()}`} data-testid="status-badge" data-status={value}>
      {value.toLowerCase()}
    </span>
  );
};
