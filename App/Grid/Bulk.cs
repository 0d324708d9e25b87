using AdminPortal.App.Data;
using Microsoft.EntityFrameworkCore;

namespace AdminPortal.App.Grid;

public sealed record BulkProgress(int Done, int Total, int Batches);

/// <summary>What one batch did: how many rows it read (0 ends the run), the last id it read, the ids it changed.</summary>
public readonly record struct BulkBatch(int Read, long LastId, IReadOnlyList<long> Changed);

/// <summary>How far a run got: <see cref="Cancelled"/> when "stop after this batch" ended it before the end.</summary>
public sealed record BulkRun(int Done, int Total, bool Cancelled);

/// <summary>Where a run resumes: after <see cref="After"/> (the last committed batch's last id), with <see cref="Done"/> rows already done.</summary>
public readonly record struct BulkStart(long After, int Done);

/// <summary>
/// One bulk action, ready to run: its batch, the transaction each batch runs in, and what to tell caches after a
/// commit. The in-circuit run and the durable job (Features/Jobs) run the same plan.
/// </summary>
public sealed record BulkPlan(
    Func<PortalDbContext, long, Task<BulkBatch>> Batch,
    Func<PortalDbContext, Func<Task<BulkBatch>>, Task<BulkBatch>>? InTransaction = null,
    Action<IReadOnlyList<long>>? AfterCommit = null);

/// <summary>
/// The one bulk runner for every grid: batches by id (keyset, so each batch reads on from where the last one stopped,
/// whatever the batches changed), each batch on a fresh context in its own transaction, progress after each batch.
/// Cancellation takes effect between batches only: a batch lands whole or, on error, not at all.
/// </summary>
public static class BulkRunner
{
    public static async Task<BulkRun> RunAsync(
        IDbContextFactory<PortalDbContext> factory,
        int total,
        Func<PortalDbContext, long, Task<BulkBatch>> batch,
        IProgress<BulkProgress>? progress,
        CancellationToken cancellationToken,
        Func<PortalDbContext, Func<Task<BulkBatch>>, Task<BulkBatch>>? inTransaction = null,
        Action<IReadOnlyList<long>>? afterCommit = null,
        BulkStart? start = null,
        TimeSpan pauseBetweenBatches = default)
    {
        inTransaction ??= InTransactionAsync;
        int done = start?.Done ?? 0, batches = 0;
        long after = start?.After ?? long.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            await using var db = await factory.CreateDbContextAsync(CancellationToken.None);
            var result = await inTransaction(db, () => batch(db, after));
            if (result.Read == 0)
            {
                break;
            }

            // Caches and other circuits hear of a batch only once it is committed.
            afterCommit?.Invoke(result.Changed);
            after = result.LastId;
            done += result.Changed.Count;
            batches++;
            progress?.Report(new BulkProgress(done, Math.Max(total, done), batches));
            if (pauseBetweenBatches > TimeSpan.Zero)
            {
                // A throttle (Jobs:BatchPause); cancelling ends it at once, and the loop ends as between any two batches.
                await Task.Delay(pauseBetweenBatches, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        return new BulkRun(done, Math.Max(total, done), cancellationToken.IsCancellationRequested && done < total);
    }

    /// <summary>One transaction per batch; a retried batch starts again from a clean change tracker.</summary>
    private static Task<BulkBatch> InTransactionAsync(PortalDbContext db, Func<Task<BulkBatch>> work) =>
        db.Database.CreateExecutionStrategy().ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
            var result = await work();
            await transaction.CommitAsync(CancellationToken.None);
            return result;
        });
}
