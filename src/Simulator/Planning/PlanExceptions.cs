namespace Walsim.Simulator.Planning;

/// <summary>
/// A slot the plan was asked for (<see cref="PlanOptions.Slots"/>) cannot be planned for: the scenario has no such
/// slot, or its consumer never moves, so no outage applies to it. The name came from the caller (walsim plan
/// --slot): the CLI reports it as a usage error.
/// </summary>
public sealed class PlanSlotException(string slot, string message) : Exception(message)
{
    public string Slot { get; } = slot;
}

/// <summary>
/// The scenario has no slot a plan could be about: none has a consumer. The input, not an option, is at fault (the
/// CLI's exit 2).
/// </summary>
public sealed class NothingToPlanException(string message) : Exception(message);
