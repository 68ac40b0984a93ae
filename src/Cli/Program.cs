using Walsim.Cli;

return new WalsimCommands(Console.Out, Console.Error, stderrIsTerminal: !Console.IsErrorRedirected).Invoke(args);
