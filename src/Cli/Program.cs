using System.Runtime.InteropServices;
using Walsim.Cli;

// SIGINT and SIGTERM end a run where it is (the engine's runs are not interruptible): first delete the reports still
// being written under their temporary names, so an interrupted run leaves nothing half-written behind. The signal
// then takes its usual course (sample's Ctrl-C is its own clean stop; it writes no temporary files).
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => AtomicFile.DeleteUncommitted());
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => AtomicFile.DeleteUncommitted());

return new WalsimCommands(Console.Out, Console.Error, stderrIsTerminal: !Console.IsErrorRedirected).Invoke(args);
