namespace AdminPortal.Tests.Infrastructure;

public static class RepositoryRoot
{
    /// <summary>The folder holding AdminPortal.sln, found upwards from the test binaries.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(folder.FullName, "AdminPortal.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("AdminPortal.sln not found above " + AppContext.BaseDirectory);
    }
}
