namespace Walsim.Simulator.Forecasting;

/// <summary>
/// The observations cannot be fitted: fewer than two, time going backwards, no bucket measurable, or more buckets
/// than a fit takes. Invalid input data, to be reported with its message (the CLI's exit 2), unlike an
/// <see cref="ArgumentException"/>, which is a caller's mistake.
/// </summary>
public sealed class WorkloadDataException(string message) : Exception(message);
