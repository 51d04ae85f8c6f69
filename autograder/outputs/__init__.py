"""What goes out: grades, exports, feedback pages, the class report, the gradebook."""
