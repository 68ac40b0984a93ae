namespace Walsim.Analyzer.History;

/// <summary>
/// What a recorded history can show. A sample file shows all of it; a server log shows WAL positions only at
/// checkpoints, the checkpoints and the slots they invalidated, but no pg_wal listing and no slot positions; a
/// Prometheus fed by postgres_exporter (issue 16) shows WAL and slot positions but neither the files in pg_wal nor the
/// redo pointer.
/// </summary>
[Flags]
public enum HistoryEvidence
{
    None = 0,
    /// <summary>The WAL write position over time (the WAL rate, the workload fit).</summary>
    WalPositions = 1 << 0,
    /// <summary>Each checkpoint: when it ran and how far the redo pointer moved.</summary>
    Checkpoints = 1 << 1,
    /// <summary>pg_control's redo pointer and checkpoint record at every reading.</summary>
    RedoPointer = 1 << 2,
    /// <summary>The WAL segment files in pg_wal: how many, the oldest, the newest.</summary>
    PgWalListing = 1 << 3,
    /// <summary>Each slot's restart_lsn and confirmed_flush_lsn over time.</summary>
    SlotPositions = 1 << 4,
    /// <summary>Each slot's wal_status and safe_wal_size as the server computed them (13+).</summary>
    SlotStatus = 1 << 5,
    /// <summary>When a slot was invalidated.</summary>
    SlotInvalidations = 1 << 6,
    /// <summary>The retention settings from the start, not only those a reload changed.</summary>
    Settings = 1 << 7,
    All = WalPositions | Checkpoints | RedoPointer | PgWalListing | SlotPositions | SlotStatus | SlotInvalidations | Settings,
}
