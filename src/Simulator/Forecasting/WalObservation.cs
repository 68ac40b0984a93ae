namespace Walsim.Simulator.Forecasting;

/// <summary>
/// One reading of the WAL write position (<c>pg_current_wal_lsn()</c>) at a point of the sample clock.
/// <paramref name="AfterGap"/> marks that nothing was observed between the previous reading and this one (a dropped
/// connection, a restart): the WAL written over that interval is never turned into a measured rate.
/// </summary>
/// <param name="At">When the position was read, on the same clock for the whole series.</param>
/// <param name="Position">The write (insert) position.</param>
/// <param name="AfterGap">True when the interval ending at this reading is a gap, not a measurement.</param>
public readonly record struct WalObservation(SimTime At, Lsn Position, bool AfterGap = false);
