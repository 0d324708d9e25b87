using System.Diagnostics;
using AdminPortal.App.Data;
using AdminPortal.App.Tenancy;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace AdminPortal.App.Features.Users;

/// <summary>
/// Fills a database with many users for load and benchmark work: <c>dotnet run -- seed --users 1000000</c>.
/// PostgreSQL through binary COPY; SQLite through batched inserts in one transaction. Spreads users over the existing
/// customers' sites, with every auth kind and sync status.
/// </summary>
public sealed class UserDataGenerator(IDbContextFactory<PortalDbContext> factory, TenantContext tenant)
{
    public async Task<int> GenerateAsync(int count, TextWriter progress, CancellationToken cancellationToken = default)
    {
        tenant.Use(TenantScope.System("generator"));
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var sites = await db.Sites.AsNoTracking().Select(s => new { s.Id, s.CustomerId, Slug = s.Customer!.Slug }).ToListAsync(cancellationToken);
        if (sites.Count == 0)
        {
            throw new InvalidOperationException("There are no sites to put users in: seed the demo data first (the seed command does).");
        }

        string run = DateTime.UtcNow.ToString("yyyyMMddHHmmss");
        var watch = Stopwatch.StartNew();
        var now = DateTime.UtcNow;
        string[] statuses = ["pending", "synced", "failed"];
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        const string Columns = "id, customer_id, site_id, email, display_name, password_hash, login_count, last_login_at, sync_status, is_active, is_locked, created_at, updated_at, version";

        if (connection is NpgsqlConnection npgsql)
        {
            await using (var writer = await npgsql.BeginBinaryImportAsync($"COPY users ({Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
            {
            for (int i = 0; i < count; i++)
            {
                var site = sites[i % sites.Count];
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(TimeOrderedId.Next(), NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(site.CustomerId, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(site.Id, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync($"gen{run}.{i}@{site.Slug}.example", NpgsqlDbType.Varchar, cancellationToken);
                await writer.WriteAsync($"Generated User {i:D7}", NpgsqlDbType.Varchar, cancellationToken);
                if (i % 3 == 1) { await writer.WriteNullAsync(cancellationToken); } else { await writer.WriteAsync("$2a$12$generated", NpgsqlDbType.Varchar, cancellationToken); }
                await writer.WriteAsync(i % 250, NpgsqlDbType.Integer, cancellationToken);
                if (i % 7 == 0) { await writer.WriteNullAsync(cancellationToken); } else { await writer.WriteAsync(now.AddMinutes(-(i % 100_000)), NpgsqlDbType.TimestampTz, cancellationToken); }
                await writer.WriteAsync(statuses[i % 3], NpgsqlDbType.Varchar, cancellationToken);
                await writer.WriteAsync(i % 17 != 0, NpgsqlDbType.Boolean, cancellationToken);
                await writer.WriteAsync(i % 23 == 0, NpgsqlDbType.Boolean, cancellationToken);
                await writer.WriteAsync(now.AddSeconds(-i), NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(now, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(1L, NpgsqlDbType.Bigint, cancellationToken);
                Report(i + 1);
            }

            await writer.CompleteAsync(cancellationToken);
            }

            await using var analyze = new NpgsqlCommand("ANALYZE users", npgsql);
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        }
        else
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO users ({Columns}) VALUES ($id, $customer, $site, $email, $name, $hash, $logins, $last, $sync, $active, $locked, $created, $now, 1)";
            var parameters = new[] { "$id", "$customer", "$site", "$email", "$name", "$hash", "$logins", "$last", "$sync", "$active", "$locked", "$created", "$now" }
                .Select(name => { var p = command.CreateParameter(); p.ParameterName = name; command.Parameters.Add(p); return p; }).ToArray();
            for (int i = 0; i < count; i++)
            {
                var site = sites[i % sites.Count];
                object[] values =
                [
                    TimeOrderedId.Next(), site.CustomerId, site.Id, $"gen{run}.{i}@{site.Slug}.example", $"Generated User {i:D7}",
                    i % 3 == 1 ? DBNull.Value : "$2a$12$generated", i % 250, i % 7 == 0 ? DBNull.Value : Sqlite(now.AddMinutes(-(i % 100_000))),
                    statuses[i % 3], i % 17 != 0 ? 1 : 0, i % 23 == 0 ? 1 : 0, Sqlite(now.AddSeconds(-i)), Sqlite(now),
                ];
                for (int p = 0; p < parameters.Length; p++)
                {
                    parameters[p].Value = values[p];
                }

                await command.ExecuteNonQueryAsync(cancellationToken);
                Report(i + 1);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        await progress.WriteLineAsync($"Generated {count:N0} users in {watch.Elapsed.TotalSeconds:F1} s.");
        return count;

        void Report(int done)
        {
            if (done % 100_000 == 0)
            {
                progress.WriteLine($"  {done:N0} / {count:N0} users ({watch.Elapsed.TotalSeconds:F0} s)");
            }
        }
    }

    // The text form EF's SQLite provider writes, so generated rows sort and compare like the app's own.
    private static string Sqlite(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture);
}
