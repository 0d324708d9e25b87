using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace AdminPortal.App.Data;

/// <summary>
/// Tells "the database could not answer" (down, unreachable, timed out, busy) from "the database answered". A
/// session check must never read the first as "this session is invalid": an outage would sign everybody out.
/// </summary>
public static class DatabaseFailure
{
    public static bool CouldNotAnswer(Exception exception)
    {
        for (Exception? current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case RetryLimitExceededException:
                case TimeoutException:
                case SocketException:
                case IOException:
                    return true;
                case PostgresException postgres:
                    // The server answered, but with "I cannot serve you now": connection errors (08), shutting
                    // down or starting up (57P01-57P03), out of resources (53).
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                        || postgres.SqlState is "57P01" or "57P02" or "57P03"
                        || postgres.SqlState.StartsWith("53", StringComparison.Ordinal);
                case NpgsqlException npgsql when npgsql.IsTransient:
                    return true;
                case SqliteException sqlite when sqlite.SqliteErrorCode is 5 or 6 or 10 or 14: // BUSY, LOCKED, IOERR, CANTOPEN
                    return true;
            }
        }

        return false;
    }

    /// <summary>A save refused by a unique index (PostgreSQL 23505, SQLite's UNIQUE constraint): someone else holds the value.</summary>
    public static bool IsUniqueViolation(DbUpdateException exception) => exception.InnerException switch
    {
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.UniqueViolation,
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode == 2067,
        _ => false,
    };
}
