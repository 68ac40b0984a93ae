using System.Reflection;
using System.Reflection.Emit;

namespace Walsim.Tests;

/// <summary>
/// The engine (src/Simulator) is pure: no files, console, wall clock, environment or unseeded randomness. Checked on
/// the compiled IL of every method in the assembly, so a call slipped in anywhere (WalBreakdown's pg_wal "files" are
/// rows of a model, never a directory read) fails here rather than in review.
/// </summary>
public sealed class EnginePurityTests
{
    private static readonly Assembly Engine = typeof(Walsim.Simulator.Engine.Simulation).Assembly;

    // Whole types the engine must not touch, and single members of otherwise allowed types.
    private static readonly string[] ForbiddenTypes =
    [
        "System.IO.File", "System.IO.Directory", "System.IO.FileStream", "System.IO.StreamWriter", "System.IO.StreamReader",
        "System.IO.FileInfo", "System.IO.DirectoryInfo", "System.IO.Path", "System.Console", "System.Environment",
        "System.Diagnostics.Stopwatch", "System.Diagnostics.Process", "System.Net.Http.HttpClient", "System.TimeProvider",
    ];

    private static readonly (string Type, string Member)[] ForbiddenMembers =
    [
        ("System.DateTime", "get_Now"), ("System.DateTime", "get_UtcNow"), ("System.DateTime", "get_Today"),
        ("System.DateTimeOffset", "get_Now"), ("System.DateTimeOffset", "get_UtcNow"),
        ("System.Guid", "NewGuid"), ("System.Random", "get_Shared"),
    ];

    [Fact]
    public void The_engine_calls_no_file_console_clock_environment_or_unseeded_random()
    {
        var found = new List<string>();
        foreach (var (method, target) in Calls())
        {
            var type = target.DeclaringType?.FullName ?? "";
            var unseededRandom = target is ConstructorInfo c && type == "System.Random" && c.GetParameters().Length == 0;
            if (ForbiddenTypes.Contains(type) || ForbiddenMembers.Contains((type, target.Name)) || unseededRandom)
                found.Add($"{method.DeclaringType?.FullName}.{method.Name} -> {type}.{target.Name}");
        }
        Assert.Empty(found);
    }

    [Fact]
    public void The_il_reader_sees_the_calls_it_checks()
    {
        // Without this, a reader that decoded nothing would pass the test above: the engine does call these.
        var targets = Calls().Select(c => $"{c.Target.DeclaringType?.FullName}.{c.Target.Name}").ToHashSet();
        Assert.Contains("System.Math.Max", targets);
        Assert.Contains("System.Random..ctor", targets);
    }

    /// <summary>Every method, constructor and property accessor of the engine, with each member its IL calls, creates
    /// or loads (call, callvirt, newobj, ldftn, ldsfld, ldfld).</summary>
    private static IEnumerable<(MethodBase Method, MemberInfo Target)> Calls()
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in Engine.GetTypes())
            foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                var il = method.GetMethodBody()?.GetILAsByteArray();
                if (il is null) continue;
                foreach (var token in MemberTokens(il))
                {
                    MemberInfo? target;
                    try { target = method.Module.ResolveMember(token, type.IsGenericType ? type.GetGenericArguments() : null, method.IsGenericMethod ? method.GetGenericArguments() : null); }
                    catch (ArgumentException) { continue; }
                    if (target is not null) yield return (method, target);
                }
            }
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The metadata tokens of the member operands in <paramref name="il"/>, walking it opcode by opcode.</summary>
    private static IEnumerable<int> MemberTokens(byte[] il)
    {
        var i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE && i + 1 < il.Length ? (short)(0xFE00 | il[++i]) : il[i];
            i++;
            if (!OpCodesByValue.TryGetValue(value, out var op)) yield break;
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField:
                    yield return BitConverter.ToInt32(il, i);
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + 4 * BitConverter.ToInt32(il, i);
                    break;
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: i += 1; break;
                case OperandType.InlineVar: i += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: i += 8; break;
                default: i += 4; break;
            }
        }
    }
}
