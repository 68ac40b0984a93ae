using Walsim.Simulator.Engine;
using Walsim.Simulator.Units;
using Xunit;

namespace Walsim.Tests.Engine;

/// <summary>
/// The insert history consumers read "the position of lag ago" from: it remembers its answers within an instant
/// (<see cref="AnswerMemo{TValue}"/>), so an answer must follow every change of the entries.
/// </summary>
public class LsnHistoryTests
{
    private static SimTime S(double seconds) => SimTime.FromSeconds(seconds);

    [Fact]
    public void The_position_of_a_past_moment_follows_a_record_made_after_it_was_asked()
    {
        var h = new LsnHistory();
        h.Record(S(0), 1000, 100); // 100 bytes/s from LSN 1000
        Assert.Equal(new Lsn(2000), h.At(S(10)));        // 1000 + 100 x 10 s, extrapolated
        Assert.Equal(S(8), h.TimeOf(new Lsn(1800)));     // (1800 - 1000) / 100

        h.Record(S(5), 1500, 0); // writing stopped at 5 s
        Assert.Equal(new Lsn(1500), h.At(S(10)));
        Assert.Equal(S(5), h.TimeOf(new Lsn(1800)));     // never reached: the last entry's time
    }

    [Fact]
    public void A_pruned_entry_no_longer_answers_for_its_time()
    {
        var h = new LsnHistory();
        h.Record(S(0), 1000, 100);
        h.Record(S(10), 2000, 100);
        Assert.Equal(new Lsn(1000), h.At(S(0)));

        h.Prune(S(10)); // only questions about 10 s and later are answered exactly now
        Assert.Equal(new Lsn(2000), h.At(S(0)));         // clamped to the oldest entry kept
    }

    [Fact]
    public void A_remembered_answer_holds_only_for_its_key_and_stamp()
    {
        var memo = new AnswerMemo<Lsn>();
        ref var entry = ref memo.For(7);
        entry.Value = new Lsn(42);
        entry.Holds(new MemoStamp(1, 2, 3), 7, 0);

        Assert.True(memo.For(7).Answers(new MemoStamp(1, 2, 3), 7, 0));
        Assert.Equal(new Lsn(42), memo.For(7).Value);
        Assert.False(memo.For(7).Answers(new MemoStamp(1, 2, 4), 7, 0)); // the state it came from changed
        Assert.False(memo.For(7).Answers(new MemoStamp(1, 2, 3), 7, 1)); // another question
        Assert.False(new AnswerMemo<Lsn>().For(7).Answers(default, 7, 0)); // an empty entry answers nothing
    }
}
