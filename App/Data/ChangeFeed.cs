using System.Globalization;
using System.Text;

namespace AdminPortal.App.Data;

/// <summary>What changed, as the change feed carries it between instances.</summary>
public enum ChangeTopic
{
    /// <summary>Users: <see cref="Change.Detail"/> is a <see cref="UserChangeKind"/>.</summary>
    Users,

    /// <summary>Posts: <see cref="Change.Detail"/> is their status now (Draft, Scheduled, Published, Trashed, Purged).</summary>
    Posts,

    /// <summary>The identity provider rows (ciam_systems): the sign-in schemes are rebuilt.</summary>
    Providers,

    /// <summary>Rows of the entity types named in <see cref="Change.Detail"/> were saved: remembered counts are stale.</summary>
    Counts,

    /// <summary>Notifications may have been missed (the listener was disconnected): everything open reloads.</summary>
    Resync,

    /// <summary>A job was queued (<see cref="Change.Ids"/>: its id): an idle job worker on any instance claims it now, not at its next poll.</summary>
    /// <remarks>Last in the list: the wire format carries the number, so earlier topics keep theirs.</remarks>
    Jobs,
}

public enum UserChangeKind
{
    Changed,
    Sync,
    Lock,
    Revoke,
    Profile,
}

/// <summary>
/// One change notification. It carries ids and kinds only, never tenant text: a receiver re-reads through its
/// tenant-filtered services, so a notification about another tenant's row shows nothing of it.
/// </summary>
/// <param name="Many">Too many ids to list (<see cref="ChangeCodec.MaxListedIds"/>): every open view of the topic reloads.</param>
public sealed record Change(ChangeTopic Topic, IReadOnlyList<long> Ids, string Detail = "", bool Many = false)
{
    public static Change UsersChanged(IReadOnlyCollection<long> ids, UserChangeKind kind) => new(ChangeTopic.Users, [.. ids], kind.ToString());

    public static Change PostsChanged(IReadOnlyCollection<long> ids, string status) => new(ChangeTopic.Posts, [.. ids], status);

    public static Change ProvidersChanged() => new(ChangeTopic.Providers, []);

    public static Change CountsChanged(IEnumerable<string> entityTypes) => new(ChangeTopic.Counts, [], string.Join(',', entityTypes.Order(StringComparer.Ordinal)));

    public static Change JobQueued(long jobId) => new(ChangeTopic.Jobs, [jobId]);

    public static Change Resync() => new(ChangeTopic.Resync, [], "", Many: true);

    /// <summary>Whether this change may touch the row <paramref name="id"/> of <paramref name="topic"/>.</summary>
    public bool Touches(ChangeTopic topic, long id) => Topic == ChangeTopic.Resync || (Topic == topic && (Many || Ids.Contains(id)));

    /// <summary>Whether this change may touch any of <paramref name="ids"/> of <paramref name="topic"/>.</summary>
    public bool TouchesAny(ChangeTopic topic, IEnumerable<long> ids) => Topic == ChangeTopic.Resync || (Topic == topic && (Many || ids.Any(Ids.Contains)));
}

/// <summary>
/// Publish/subscribe of <see cref="Change"/>s between the portal's instances. Subscribers are called on the
/// publisher's thread (local changes) or the listener's (other instances'): they must return quickly and hand
/// real work to their circuit (<c>InvokeAsync</c>) or a background loop.
/// </summary>
/// <remarks>
/// Publish only after the change is committed (<see cref="ChangeCapture"/> does so for EF saves): a receiver that
/// re-reads before the commit would see the old row and never hear again. A change is delivered to this process's
/// subscribers once, at publish time; the copy that PostgreSQL echoes back to the publisher is dropped by its origin.
/// </remarks>
public interface IChangeFeed
{
    /// <summary>This instance's name on the feed (random per process start).</summary>
    string InstanceId { get; }

    /// <summary>Delivers <paramref name="change"/> here at once, then to the other instances. Never throws: a lost
    /// notification is logged and repaired by the receivers' resync on reconnect and their slow fallbacks.</summary>
    Task PublishAsync(Change change, CancellationToken cancellationToken = default);

    IDisposable Subscribe(Action<Change> handler);
}

/// <summary>The local half every feed shares: the subscriber list and a delivery that one failing subscriber cannot stop.</summary>
public abstract class ChangeFeed(ILogger logger) : IChangeFeed
{
    private readonly Lock gate = new();
    private Action<Change>[] handlers = [];

    public string InstanceId { get; } = Guid.NewGuid().ToString("N")[..12];

    public abstract Task PublishAsync(Change change, CancellationToken cancellationToken = default);

    public IDisposable Subscribe(Action<Change> handler)
    {
        lock (gate)
        {
            handlers = [.. handlers, handler];
        }

        return new Subscription(this, handler);
    }

    /// <summary>Calls every subscriber of this process.</summary>
    protected void Deliver(Change change)
    {
        foreach (var handler in Volatile.Read(ref handlers))
        {
            try
            {
                handler(change);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "A change feed subscriber failed on a {Topic} change.", change.Topic);
            }
        }
    }

    private void Unsubscribe(Action<Change> handler)
    {
        lock (gate)
        {
            handlers = handlers.Where(h => h != handler).ToArray();
        }
    }

    private sealed class Subscription(ChangeFeed feed, Action<Change> handler) : IDisposable
    {
        public void Dispose() => feed.Unsubscribe(handler);
    }
}

/// <summary>The embedded default (SQLite): one process, so publishing is delivering.</summary>
public sealed class InProcessChangeFeed(ILogger<InProcessChangeFeed>? logger = null) : ChangeFeed(logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<InProcessChangeFeed>.Instance)
{
    public override Task PublishAsync(Change change, CancellationToken cancellationToken = default)
    {
        Deliver(change);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The wire format: <c>origin|topic|detail|many|id,id,…</c>. Plain text, ids and enum or type names only, so a
/// payload can never carry tenant text and is cheap to check on the way in.
/// </summary>
public static class ChangeCodec
{
    /// <summary>PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; this leaves room for the header.</summary>
    public const int MaxPayloadBytes = 7900;

    /// <summary>Above this many ids one "many changed, reload" message replaces the list (a few notifications at most).</summary>
    public const int MaxListedIds = 2000;

    public static IReadOnlyList<string> Encode(string origin, Change change)
    {
        if (change.Ids.Count > MaxListedIds)
        {
            change = change with { Ids = [], Many = true };
        }

        string header = $"{origin}|{(int)change.Topic}|{change.Detail}|{(change.Many ? 1 : 0)}|";
        if (change.Ids.Count == 0)
        {
            return [header];
        }

        var payloads = new List<string>();
        var current = new StringBuilder(header);
        bool empty = true;
        foreach (long id in change.Ids)
        {
            string text = id.ToString(CultureInfo.InvariantCulture);
            if (!empty && current.Length + 1 + text.Length > MaxPayloadBytes)
            {
                payloads.Add(current.ToString());
                current.Clear().Append(header);
                empty = true;
            }

            if (!empty)
            {
                current.Append(',');
            }

            current.Append(text);
            empty = false;
        }

        payloads.Add(current.ToString());
        return payloads;
    }

    /// <summary>The origin and the change, or null for anything that is not a well-formed payload.</summary>
    public static (string Origin, Change Change)? Decode(string payload)
    {
        string[] parts = payload.Split('|');
        if (parts.Length != 5 || parts[0].Length is 0 or > 64
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int topic) || !Enum.IsDefined((ChangeTopic)topic)
            || parts[2].Length > 1000 || !parts[2].All(c => char.IsAsciiLetterOrDigit(c) || c is ',' or '_')
            || parts[3] is not ("0" or "1"))
        {
            return null;
        }

        var ids = new List<long>();
        if (parts[4].Length > 0)
        {
            foreach (string text in parts[4].Split(','))
            {
                if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long id))
                {
                    return null;
                }

                ids.Add(id);
            }
        }

        return (parts[0], new Change((ChangeTopic)topic, ids, parts[2], parts[3] == "1"));
    }
}
