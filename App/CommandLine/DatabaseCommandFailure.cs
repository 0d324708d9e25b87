using System.Data.Common;

namespace AdminPortal.App.CommandLine;

/// <summary>
/// What an operator needs from a failed database command: one line, not a stack trace. Only database failures are
/// described; anything else is a bug and keeps its stack trace.
/// </summary>
public sealed record DatabaseCommandFailure(string Message, bool DatabaseMissing)
{
    public static DatabaseCommandFailure? Describe(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case Npgsql.PostgresException { SqlState: "3D000" } missing:
                    return new($"{missing.MessageText}. Create it with: dotnet run -- migrate", DatabaseMissing: true);
                case Npgsql.PostgresException postgres:
                    return new($"PostgreSQL refused: {postgres.MessageText} (SQLSTATE {postgres.SqlState}).", false);
                case DbException database:
                    return new($"the database could not be reached: {database.Message.ReplaceLineEndings(" ")}", false);
            }
        }

        return null;
    }
}
