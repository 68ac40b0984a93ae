using Walsim.Cli;

return new WalsimCommands(Console.Out, Console.Error).Invoke(args);
