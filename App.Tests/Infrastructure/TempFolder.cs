namespace AdminPortal.Tests.Infrastructure;

/// <summary>
/// Removes a test's temporary folder without letting the clean-up decide the test. A recursive delete races with
/// anything that still writes there (a SQLite journal from a connection that is closing, a server process that is
/// exiting): the rmdir then fails with "Directory not empty", and an exception thrown from a dispose would hide the
/// test's own result. So: clear the SQLite pools, retry a few times, and at worst leave the folder in /tmp and say so.
/// </summary>
public static class TempFolder
{
    public static void Delete(string folder)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }

                return;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                if (attempt == 5)
                {
                    Console.Error.WriteLine($"warning: could not remove the test folder {folder}: {exception.Message}");
                    return;
                }

                Thread.Sleep(100 * attempt);
            }
        }
    }
}
