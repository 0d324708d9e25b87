// The grid kernel (paging types, capped counts, bulk progress, change results) moved out of Features/Users.
global using AdminPortal.App.Grid;
