// The grid kernel is used by every feature with a grid, a bulk action or a change result.
global using AdminPortal.App.Grid;
